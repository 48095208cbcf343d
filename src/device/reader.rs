pub struct DeviceReader;
