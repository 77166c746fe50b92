"""A scaling study from Python, plotted with matplotlib (docs/python.md).

    python3 scale_plot.py [COORDINATOR] [OUT.png] [N]
"""
import sys

import matplotlib.pyplot as plt

import tminus

address = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:7070"
out = sys.argv[2] if len(sys.argv) > 2 else "scale.png"
n = float(sys.argv[3]) if len(sys.argv) > 3 else 4e9

with tminus.Client(address) as client:
    total = sum(w.slots for w in client.workers() if w.state == "connected")
    slots = sorted({1, *[s for s in (2, 4, 8, 16, 32) if s < total], total})
    rows = client.scale(n, slots=slots, repeat=3)

print(f"{'slots':>5} {'wall s':>8} {'speedup':>8} {'efficiency':>10}")
for row in rows:
    print(f"{row.slots:>5} {row.wall_median_seconds:>8.3f} {row.speedup:>8.2f} "
          f"{row.efficiency:>10.1%}")

x = [row.slots for row in rows]
plt.plot(x, [row.speedup for row in rows], "o-", label="tminus (threads)")
plt.plot(x, x, "--", color="grey", label="ideal")
plt.xlabel("slots")
plt.ylabel("speedup")
plt.legend()
plt.savefig(out, dpi=100)
print(f"wrote {out}")
