"""Reading what arrives: returns files and the positions registry."""
