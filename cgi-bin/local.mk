# cgi-bin: the FastCGI entry point, installed as libexecdir/valuerank.fcgi.
libexec_PROGRAMS += cgi-bin/valuerank.fcgi
cgi_bin_valuerank_fcgi_SOURCES = cgi-bin/valuerank.c
