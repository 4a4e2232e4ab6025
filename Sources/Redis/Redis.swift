// The Redis module. See README.md, "Architecture".
