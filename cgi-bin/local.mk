# cgi-bin: the FastCGI entry point.
