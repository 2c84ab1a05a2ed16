FROM	scratch	AS	build
COPY	a.txt	/a.txt
