# rules for tests/ (see the top Makefile.am)
