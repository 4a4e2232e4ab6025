// The Monopoly module. See README.md, "Architecture".
