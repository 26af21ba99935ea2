import csv,sys,lzma,collections
rows=[l for l in lzma.open(sys.argv[1],'rt') if l.startswith('"')]
r=list(csv.DictReader(rows))
d=collections.defaultdict(list)
for x in r: d[(x['Kernel Name'].split('(')[0],x['Grid Size'],x['Block Size'])].append(float(x['Metric Value'].replace(',',''))/1e3)
tot=sum(sum(v) for v in d.values())
n=int(sys.argv[2])
print("total us/picture %.1f"%(tot/n))
for k,v in sorted(d.items(),key=lambda kv:-sum(kv[1])):
    print("%-28s %-14s %-10s n=%4d mean=%8.1fus  per-pic=%7.1fus"%(k[0],k[1],k[2],len(v),sum(v)/len(v),sum(v)/n))
