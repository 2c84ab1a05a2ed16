from scratch
copy a.txt /a.txt
