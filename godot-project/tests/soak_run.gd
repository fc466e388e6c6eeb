# scripts/soak's runner: one large soak (tests/soak.gd) with one class on both
# ends, then one summary line. Not a test file (not named test_*).
#   godot --headless --script res://tests/soak_run.gd -- --class=rust|engine --pairs=N --messages=N --seed=N
extends SceneTree

const Soak := preload("res://tests/soak.gd")
const TestCase := preload("res://tests/test_case.gd")
const ErrorLog := preload("res://tests/error_log.gd")


func _initialize() -> void:
	_run.call_deferred()


## A field of /proc/self/status in KiB (procfs files report no length: read line by line).
static func _status_kib(field: String) -> int:
	var status := FileAccess.open("/proc/self/status", FileAccess.READ)
	while status != null and not status.eof_reached():
		var line := status.get_line()
		if line.begins_with(field + ":"):
			return int(line.split(":")[1].strip_edges().split(" ")[0])
	return -1


func _run() -> void:
	var args := {"class": "rust", "pairs": "1000", "messages": "1000", "seed": "1"}
	for arg in OS.get_cmdline_user_args():
		if arg.begins_with("--") and arg.contains("="):
			args[arg.substr(2).get_slice("=", 0)] = arg.get_slice("=", 1)
	var cls = RustWebSocketPeer if args["class"] == "rust" else WebSocketPeer
	var name := "RustWebSocketPeer" if args["class"] == "rust" else "WebSocketPeer"
	var rss_before := _status_kib("VmRSS")
	var soak := Soak.new(int(args["pairs"]), int(args["messages"]), int(args["seed"]), cls, cls)
	var test := TestCase.new()
	test.tree = self
	var errors := ErrorLog.new()
	errors.install()
	var opened: bool = await soak.open(test)
	var started := Time.get_ticks_usec()
	var finished: bool = opened and await test.poll_until([], soak.step, 3600.0)
	var seconds := (Time.get_ticks_usec() - started) / 1e6
	var totals: Array = soak.verify(test) if opened else [0, 0]
	errors.uninstall()
	# Lost, reordered or corrupt messages on links without a fault.
	var lost := 0
	for i in soak.links.size():
		var link = soak.links[i]
		if link.fault == Soak.Fault.NONE:
			lost += soak.messages - link.echoed + (1 if link.bad != "" else 0)
	print("soak %s: pairs=%d messages=%d seconds=%.1f messages_per_s=%d mb_per_s=%.1f peak_rss_mib=%.1f rss_before_mib=%.1f lost=%d unaffected=%d finished=%s failed_checks=%d error_lines=%d" % [
		name, soak.pairs, soak.messages, seconds, int(totals[1] * 2 / maxf(seconds, 0.001)),
		soak.bytes_moved / 1e6 / maxf(seconds, 0.001), _status_kib("VmHWM") / 1024.0, rss_before / 1024.0,
		lost, totals[0], finished, test.failures.size(), errors.lines().size()])
	# Failed checks by kind of link, then the first few.
	var by_kind := {}
	for f in test.failures:
		var kind := f.get_slice("(", 1).get_slice(")", 0) if f.begins_with("link ") else "other"
		by_kind[kind] = by_kind.get(kind, 0) + 1
	if not by_kind.is_empty():
		print("  failed checks by link kind: ", by_kind)
	for f in test.failures.slice(0, 10):
		print("  check: ", f)
	for e in errors.lines().slice(0, 5):
		print("  error line: ", e)
	await test.cleanup()
	quit(0 if finished and test.failures.is_empty() and errors.lines().is_empty() else 1)
