// The RelayProtocol module. See README.md, "Architecture".
