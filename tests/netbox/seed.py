"""Seeds a NetBox test rig over its REST API (stdlib only, idempotent): the c9300 lab the tests expect,
the same data the simulator seeds (src/sim/netbox/model.rs).

Usage: seed.py URL TOKEN          create what is missing (custom fields, site, platform, devices,
                                  interfaces, VLANs incl. global 999, IP)
       seed.py --status URL TOKEN exit 0 once GET /api/status/ answers 200 (rig.sh's readiness probe)
"""
import json
import sys
import urllib.error
import urllib.parse
import urllib.request

INTERFACES = [f"GigabitEthernet1/0/{n}" for n in range(1, 49)]
VLANS = [10, 20, 100, 200, 300]
GLOBAL_VLAN = (999, "GLOBAL999")


class Api:
    def __init__(self, base, token):
        self.base = base.rstrip("/")
        self.token = token

    def call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method)
        req.add_header("Authorization", f"Token {self.token}")
        req.add_header("Accept", "application/json")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                text = resp.read()
        except urllib.error.HTTPError as e:
            raise SystemExit(f"seed: {method} {path} -> {e.code} {e.read()[:2000]!r}")
        return json.loads(text) if text else None

    def find(self, path, **query):
        q = urllib.parse.urlencode(query, doseq=True)
        res = self.call("GET", f"{path}?{q}&limit=1000")
        return res["results"]

    def ensure(self, path, query, body):
        """The one object matching `query`, created from `body` when there is none."""
        found = self.find(path, **query)
        if len(found) > 1:
            raise SystemExit(f"seed: {path} {query} matches {len(found)} objects")
        if found:
            return found[0]
        return self.call("POST", path, body)


def seed(api):
    if not api.find("/api/extras/custom-fields/", name="change_ticket_number"):
        api.call("POST", "/api/extras/custom-fields/", {
            "name": "change_ticket_number", "label": "Change ticket number", "type": "text",
            "object_types": ["dcim.interface"], "required": False, "filter_logic": "exact",
        })
    # Device custom fields the bot reads (src/devices.rs): present but empty on every device.
    for name, label, kind in [("patchpanel_profile", "patchpanel profile", "text"),
                              ("netconf_port", "NETCONF port", "integer")]:
        if not api.find("/api/extras/custom-fields/", name=name):
            api.call("POST", "/api/extras/custom-fields/", {
                "name": name, "label": label, "type": kind, "object_types": ["dcim.device"],
                "required": False,
            })
    # The tag that protects an interface from the bot (NETBOX_PROTECTED_TAG's default).
    api.ensure("/api/extras/tags/", {"slug": "patchpanel-protected"},
               {"name": "patchpanel-protected", "slug": "patchpanel-protected", "color": "9e9e9e"})
    site = api.ensure("/api/dcim/sites/", {"slug": "lab"},
                      {"name": "lab", "slug": "lab", "status": "active"})
    maker = api.ensure("/api/dcim/manufacturers/", {"slug": "cisco"}, {"name": "Cisco", "slug": "cisco"})
    dtype = api.ensure("/api/dcim/device-types/", {"slug": "c9300-48p"},
                       {"manufacturer": maker["id"], "model": "C9300-48P", "slug": "c9300-48p"})
    role = api.ensure("/api/dcim/device-roles/", {"slug": "access-switch"},
                      {"name": "access-switch", "slug": "access-switch", "color": "2196f3"})
    platform = api.ensure("/api/dcim/platforms/", {"slug": "cisco-ios-xe"},
                          {"name": "Cisco IOS XE", "slug": "cisco-ios-xe", "manufacturer": maker["id"]})
    device = api.ensure("/api/dcim/devices/", {"name": "c9300"}, {
        "name": "c9300", "device_type": dtype["id"], "role": role["id"], "site": site["id"],
        "platform": platform["id"], "status": "active",
    })
    # A second switch NetBox knows but cannot say how to reach (no primary IPv4, no platform).
    api.ensure("/api/dcim/devices/", {"name": "c9300-spare"}, {
        "name": "c9300-spare", "device_type": dtype["id"], "role": role["id"], "site": site["id"],
        "status": "active",
    })
    have = {i["name"] for i in api.find("/api/dcim/interfaces/", device_id=device["id"])}
    missing = [{"device": device["id"], "name": n, "type": "1000base-t"} for n in INTERFACES if n not in have]
    if "Vlan1" not in have:
        missing.append({"device": device["id"], "name": "Vlan1", "type": "virtual", "mgmt_only": True})
    if missing:
        api.call("POST", "/api/dcim/interfaces/", missing)
    have_vids = {v["vid"] for v in api.find("/api/ipam/vlans/", site_id=site["id"])}
    new_vlans = [{"vid": vid, "name": f"VLAN{vid}", "site": site["id"], "status": "active"}
                 for vid in VLANS if vid not in have_vids]
    if new_vlans:
        api.call("POST", "/api/ipam/vlans/", new_vlans)
    # A global VLAN (no site): interfaces may use it in NetBox, W2 refuses it (not at the device's site).
    if not [v for v in api.find("/api/ipam/vlans/", vid=GLOBAL_VLAN[0]) if v["site"] is None]:
        api.call("POST", "/api/ipam/vlans/",
                 {"vid": GLOBAL_VLAN[0], "name": GLOBAL_VLAN[1], "status": "active"})
    vlan1 = api.find("/api/dcim/interfaces/", device_id=device["id"], name="Vlan1")[0]
    ip = api.ensure("/api/ipam/ip-addresses/", {"address": "192.0.2.10/24"}, {
        "address": "192.0.2.10/24", "status": "active",
        "assigned_object_type": "dcim.interface", "assigned_object_id": vlan1["id"],
    })
    if (device.get("primary_ip4") or {}).get("id") != ip["id"]:
        api.call("PATCH", f"/api/dcim/devices/{device['id']}/", {"primary_ip4": ip["id"]})
    print(f"seeded: device c9300 id {device['id']} and c9300-spare, {len(INTERFACES) + 1} interfaces, VLANs {VLANS} + global {GLOBAL_VLAN[0]}")


def main(argv):
    if len(argv) == 4 and argv[1] == "--status":
        try:
            Api(argv[2], argv[3]).call("GET", "/api/status/")
        except (OSError, SystemExit, ValueError):
            return 1
        return 0
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    seed(Api(argv[1], argv[2]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
