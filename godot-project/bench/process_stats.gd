# What the benchmark processes read about themselves from /proc (Linux).
extends RefCounted


## The process's resident memory (VmRSS) in KiB, or -1 when it cannot be read.
static func rss_kib() -> int:
	var f := FileAccess.open("/proc/self/status", FileAccess.READ)
	if f == null:
		return -1
	while not f.eof_reached():
		var line := f.get_line()
		if line.begins_with("VmRSS:"):
			return line.trim_prefix("VmRSS:").strip_edges().split(" ", false)[0].to_int()
	return -1
