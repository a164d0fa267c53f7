#!/usr/bin/env python3
"""Prints the coefficient tables of native/src/gelu_piecewise.h: GELU's Φ(x)
and slope Φ(x) + x·φ(x) on |x| < 4, as degree-9 Chebyshev fits (mpmath, 50
digits) in h = |x| − c on 16 intervals of width 1/4, centres c = j/4 + 1/8,
converted to powers of h and rounded to double. Row k of each table holds
coefficient k for every interval. Needs mpmath (python3 -m pip install mpmath).
"""
import mpmath as mp
mp.mp.dps=50
Phi=lambda x: mp.ncdf(x)
T=lambda x: mp.ncdf(x)+x*mp.npdf(x)
D=9
def table(f):
  rows=[]
  for j in range(16):
    c=mp.mpf(j)/4+mp.mpf(1)/8
    poly,err=mp.chebyfit(lambda h: f(c+h),[-mp.mpf(1)/8,mp.mpf(1)/8],D+1,error=True)
    rows.append([float(p) for p in reversed(poly)])
  # transpose: coefficient k of every interval
  return [[rows[j][k] for j in range(16)] for k in range(D+1)]
for f,name in ((Phi,'kGeluCdf'),(T,'kGeluSlope')):
  t=table(f)
  print('alignas(64) const double %s[%d][16] = {'%(name,D+1))
  for k,row in enumerate(t):
    print('    {'+', '.join(repr(v) for v in row)+'},')
  print('};')
