# Run by tests/netbox/rig.sh inside `netbox shell`: the superuser admin/admin and the rig's two fixed API
# tokens (a v1 token and a v2 key + secret, values from the environment). Idempotent.
import os

from users.models import Token, User

user = User.objects.filter(username="admin").first()
if user is None:
    user = User.objects.create_superuser("admin", "admin@example.invalid", "admin")
if not Token.objects.filter(version=1, plaintext=os.environ["RIG_TOKEN_V1"]).exists():
    Token(version=1, user=user, description="rig v1", token=os.environ["RIG_TOKEN_V1"]).save()
if not Token.objects.filter(version=2, key=os.environ["RIG_TOKEN_V2_KEY"]).exists():
    Token(version=2, user=user, description="rig v2", key=os.environ["RIG_TOKEN_V2_KEY"],
          token=os.environ["RIG_TOKEN_V2_SECRET"]).save()
print("users: admin with a v1 and a v2 token")
