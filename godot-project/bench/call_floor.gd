# How much of a getter's cost is Godot's path into an extension, and how much is ours.
# Run by scripts/call-floor, which also loads the measuring extension rust/call-floor-probe:
# its CallFloorProbe.call_floor_probe() is a raw GDExtension method that returns 1 and
# does nothing else, so its cost is the least any extension method costs on this Godot.
#
# Each row calls one method of one idle OPEN client peer (or of the probe) in a GDScript
# loop, untyped (`var p = ...`, a dynamic call) and typed (`var p: WebSocketPeer`,
# `RustWebSocketPeer` or `CallFloorProbe`, a validated call), and
# prints the fastest round's ns per call (noise on a shared machine only adds time), loop
# included, with ratios to the engine's WebSocketPeer. Exits 1 if the probe is missing or a pair does not open.
extends SceneTree

const PairOpener := preload("res://bench/pair_opener.gd")

const CALLS := 1000000
const ROUNDS := 15
const PROBE := "call_floor_probe"
const PROBE_CLASS := "CallFloorProbe"

# [label, class that runs it, method]; the engine's row of each method comes first.
const ROWS := [
	["get_ready_state, engine", "WebSocketPeer", "get_ready_state"],
	["get_ready_state, ours", "RustWebSocketPeer", "get_ready_state"],
	["get_available_packet_count, engine", "WebSocketPeer", "get_available_packet_count"],
	["get_available_packet_count, ours", "RustWebSocketPeer", "get_available_packet_count"],
	["extension floor (call_floor_probe)", PROBE_CLASS, PROBE],
]


func _initialize() -> void:
	_main.call_deferred()


func _main() -> void:
	if not ClassDB.class_has_method(PROBE_CLASS, PROBE, true):
		printerr("call_floor: no %s.%s(); run this through scripts/call-floor" % [PROBE_CLASS, PROBE])
		quit(1)
		return
	var tcp := TCPServer.new()
	if tcp.listen(0, "127.0.0.1") != OK:
		printerr("call_floor: listen failed")
		quit(1)
		return
	var url := "ws://127.0.0.1:%d/" % tcp.get_local_port()
	var clients := {}
	var servers := []  # held so the connections stay open
	for cls: String in ["WebSocketPeer", "RustWebSocketPeer"]:
		var pair := _open_pair(cls, tcp, url)
		if pair.is_empty():
			printerr("call_floor: a %s pair did not open" % cls)
			quit(1)
			return
		clients[cls] = pair[0]
		servers.append(pair[1])
	tcp.stop()
	clients[PROBE_CLASS] = ClassDB.instantiate(PROBE_CLASS)

	print("call_floor: ns per call, fastest of %d rounds of %d calls, GDScript loop included" % [ROUNDS, CALLS])
	for typed: bool in [false, true]:
		var loops := []
		for row: Array in ROWS:
			loops.append(_compile_loop(row[1] if typed else "", row[2]))
		var empty := _compile_loop("", "")
		if loops.has(null) or empty == null:
			quit(1)
			return
		var samples := []
		for row: Array in ROWS:
			samples.append([])
		var empty_samples := []
		for r in ROUNDS:  # rows interleaved, so a slow moment hits every row alike
			for i in ROWS.size():
				samples[i].append(loops[i].run(clients[ROWS[i][1]], CALLS))
			empty_samples.append(empty.run(null, CALLS))
		print("  %s calls (empty loop %.1f ns):" % ["typed" if typed else "untyped", _fastest(empty_samples)])
		var engine_ns := 0.0
		var floor_ns := _fastest(samples[ROWS.size() - 1])
		for i in ROWS.size():
			var ns := _fastest(samples[i])
			var label: String = ROWS[i][0]
			if label.ends_with("engine"):
				engine_ns = ns
				print("    %-36s %6.1f" % [label, ns])
			elif ROWS[i][2] == PROBE:
				print("    %-36s %6.1f" % [label, ns])
			else:
				print("    %-36s %6.1f  %.2fx the engine, %+.1f ns over the floor" % [label, ns, ns / engine_ns, ns - floor_ns])
		print("    floor / engine get_ready_state: %.2fx" % [floor_ns / _fastest(samples[0])])
	for p in clients.values() + servers:
		if p.has_method("close"):
			p.close(-1)
	quit(0)


# A loop of `calls` calls of `method` on `p`, compiled from source so the typed variant can
# name a class this file cannot (the probe exists only in scripts/call-floor). `run` returns ns
# per call; null if it does not compile.
func _compile_loop(type_name: String, method: String) -> Object:
	var script := GDScript.new()
	var param := "p: %s" % type_name if type_name != "" else "p"
	var body := "\t\tp.%s()" % method if method != "" else "\t\tpass"
	script.source_code = "\n".join([
		"extends RefCounted",
		"func run(%s, calls: int) -> float:" % param,
		"\tvar t0 := Time.get_ticks_usec()",
		"\tfor i in calls:",
		body,
		"\treturn (Time.get_ticks_usec() - t0) * 1000.0 / calls",
		"",
	])
	if script.reload() != OK:
		printerr("call_floor: loop for %s.%s did not compile" % [type_name, method])
		return null
	return script.new()


func _open_pair(cls: String, tcp: TCPServer, url: String) -> Array:
	var pair := PairOpener.open(cls, tcp, url)
	for k in 8:  # ours: an idle socket reaches its syscall-free state
		for p in pair:
			p.poll()
	return pair


func _fastest(values: Array) -> float:
	return values.min()
