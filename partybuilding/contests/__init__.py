"""Contests (擂台赛) scored by judges, their results, and the 领头雁 programme."""
