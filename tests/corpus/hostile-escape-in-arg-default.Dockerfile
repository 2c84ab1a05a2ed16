ARG A="scr[0match"
FROM $A
