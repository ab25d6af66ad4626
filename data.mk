# data.mk — templates, static files and configuration installed beside the programs.
