# rules for contrib/ (see the top Makefile.am)
