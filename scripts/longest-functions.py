#!/usr/bin/env python3
# Usage: python3 scripts/longest-functions.py REV  (e.g. HEAD)
# The ten longest functions of the crates (not tests): in rustfmt'd code a function ends at the
# first later line that is its own indentation followed by `}`.
import re,subprocess,sys
rev=sys.argv[1]
files=subprocess.check_output(['git','ls-tree','-r','--name-only',rev,'crates/']).decode().split()
out=[]
for f in files:
    if not f.endswith('.rs') or '/tests/' in f or f.endswith('_tests.rs') or 'test_links' in f or f.endswith('/tests.rs'): continue
    src=subprocess.check_output(['git','show',f'{rev}:{f}']).decode(errors='replace').split('\n')
    for i,l in enumerate(src):
        if re.match(r'\s*#\[cfg\(test\)\]',l): break
        m=re.match(r'(\s*)(pub(\([^)]*\))?\s+)?(const\s+)?fn\s+(\w+)',l)
        if not m: continue
        ind=m.group(1)
        for j in range(i,len(src)):
            if src[j]==ind+'}' or (j==i and l.rstrip().endswith('}')): break
            if j>i and src[j].startswith(ind) and not src[j].startswith(ind+' ') and src[j].strip() and src[j].strip()!='}' and re.match(r'\s*(pub|fn|const|impl|struct|enum|#|///)',src[j]) and src[j-1].strip()=='' : j=i; break
        out.append((j-i+1,f.replace('crates/',''),m.group(5)))
out.sort(reverse=True)
for n,f,name in out[:10]: print(f"{n:5} {f}::{name}")
