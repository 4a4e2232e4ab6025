// The Authority module. See README.md, "Architecture".
