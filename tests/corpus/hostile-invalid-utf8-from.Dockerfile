FROM scrÿatch
