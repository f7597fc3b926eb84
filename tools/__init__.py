"""Development tools kept outside the installed package: the code generator."""
