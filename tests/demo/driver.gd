# Plays the vendored `networking/websocket_multiplayer` demo headless, as a person
# clicking its buttons would: the first of its four panels hosts, two more connect,
# every player takes turns with "Do Action!", then a client and the host leave.
# Buttons are pressed by emitting their `pressed` signal, and only while they are
# visible and enabled, as a click needs. Every step checks what the panels show.
#
#   godot --headless --path STAGE --script res://driver.gd -- --expect-class=NAME
#
# Prints one line per check, then `N passed, M failed`; exits 1 on any failure.
extends SceneTree

const STEP_TIMEOUT_S := 10.0
const TURNS := 6  # two full rounds of three players

var passed := 0
var failed := 0
var expect_class := ""
var panels: Array = []


func _initialize() -> void:
	for arg: String in OS.get_cmdline_user_args():
		if arg.begins_with("--expect-class="):
			expect_class = arg.trim_prefix("--expect-class=")
	_run.call_deferred()


func _run() -> void:
	var combo: Node = load("res://scene/combo.tscn").instantiate()
	root.add_child(combo)
	await process_frame
	panels = combo.get_node("GridContainer").get_children()
	var host: Control = panels[0]
	var alice: Control = panels[1]
	var bob: Control = panels[2]
	_check(panels.size() == 4, "the combo scene shows four panels")
	_check(host.peer.get_class() == expect_class,
		"the demo's peer is a %s (got %s)" % [expect_class, host.peer.get_class()])
	for i in 3:
		_edit(panels[i], "HBoxContainer/NameEdit").text = ["Host", "Alice", "Bob"][i]

	_press(host, "HBoxContainer2/HBoxContainer/Host")
	_check(host.peer.get_connection_status() == MultiplayerPeer.CONNECTION_CONNECTED, "the host is listening")
	_press(alice, "HBoxContainer2/HBoxContainer/Connect")
	_press(bob, "HBoxContainer2/HBoxContainer/Connect")
	var everyone := ["Host", "Alice", "Bob"]
	_check(await _until(func(): return _players(host) == everyone and _players(alice) == everyone and _players(bob) == everyone),
		"all three panels list Host, Alice, Bob (host %s, Alice %s, Bob %s)" % [_players(host), _players(alice), _players(bob)])
	_check(alice.multiplayer.get_unique_id() > 1 and bob.multiplayer.get_unique_id() > 1
		and alice.multiplayer.get_unique_id() != bob.multiplayer.get_unique_id(),
		"the clients got distinct IDs above 1 (%d, %d)" % [alice.multiplayer.get_unique_id(), bob.multiplayer.get_unique_id()])

	# Turns: exactly one panel's "Do Action!" is enabled; pressing it passes the turn.
	var expected_turns := ["Host", "Alice", "Bob", "Host", "Alice", "Bob"]
	for turn in TURNS:
		var who: String = expected_turns[turn]
		var panel: Control = panels[everyone.find(who)]
		var ok := await _until(func(): return _enabled_actions() == [who])
		_check(ok, "turn %d: only %s's Do Action! is enabled (enabled: %s)" % [turn + 1, who, _enabled_actions()])
		if not ok:
			break
		var lines_before := _log_lines(alice).size()
		_press(panel, "Game/HBoxContainer/VBoxContainer/Action")
		_check(await _until(func(): return _log_lines(alice).size() > lines_before and _log_lines(bob).size() > lines_before),
			"turn %d: both clients log %s's roll" % [turn + 1, who])
	for client: Control in [alice, bob]:
		var rolls := _log_lines(client).filter(func(line: String): return line.contains(": rolls "))
		var order := rolls.map(func(line: String): return line.get_slice(":", 0))
		_check(order == expected_turns, "%s's log shows the rolls in turn order (%s)" % [_name(client), order])
	_check(_log_lines(host).is_empty(), "the host's own log stays empty (the demo's _log RPC is remote only)")

	# Bob leaves: everyone else drops him from the list.
	_press(bob, "HBoxContainer2/HBoxContainer/Disconnect")
	_check(await _until(func(): return _players(host) == ["Host", "Alice"] and _players(alice) == ["Host", "Alice"]),
		"after Bob disconnects the host and Alice list Host, Alice (%s, %s)" % [_players(host), _players(alice)])
	_check(bob.multiplayer.multiplayer_peer == null and _players(bob).is_empty(), "Bob's panel is back to its start state")

	# The host leaves: Alice sees the server go away and resets her panel.
	_press(host, "HBoxContainer2/HBoxContainer/Disconnect")
	_check(await _until(func(): return alice.multiplayer.multiplayer_peer == null),
		"Alice sees the server disconnect (server_disconnected resets her panel)")
	_check(alice.peer.get_connection_status() == MultiplayerPeer.CONNECTION_DISCONNECTED
		and host.peer.get_connection_status() == MultiplayerPeer.CONNECTION_DISCONNECTED,
		"both peers end DISCONNECTED")
	_check(_visible(host, "HBoxContainer2/HBoxContainer/Connect") and _visible(alice, "HBoxContainer2/HBoxContainer/Connect"),
		"the Connect buttons are back")

	combo.queue_free()
	await process_frame
	print("%d passed, %d failed" % [passed, failed])
	quit(1 if failed > 0 else 0)


func _check(ok: bool, what: String) -> void:
	if ok:
		passed += 1
		print("ok    ", what)
	else:
		failed += 1
		printerr("FAIL  ", what)


## Polls the condition once per frame (the multiplayer APIs poll in between).
func _until(condition: Callable) -> bool:
	var deadline := Time.get_ticks_msec() + int(STEP_TIMEOUT_S * 1000)
	while Time.get_ticks_msec() < deadline:
		if condition.call():
			return true
		await process_frame
	return condition.call()


func _press(panel: Control, path: String) -> void:
	var button: Button = panel.get_node("Panel/VBoxContainer/" + path)
	var clickable := button.is_visible_in_tree() and not button.disabled
	_check(clickable, "%s: %s is visible and enabled" % [_name(panel), button.name])
	if clickable:
		button.pressed.emit()


func _edit(panel: Control, path: String) -> LineEdit:
	return panel.get_node("Panel/VBoxContainer/" + path)


func _visible(panel: Control, path: String) -> bool:
	return panel.get_node("Panel/VBoxContainer/" + path).is_visible_in_tree()


func _players(panel: Control) -> Array:
	var list: ItemList = panel.get_node("Panel/VBoxContainer/Game/HBoxContainer/VBoxContainer/ItemList")
	var names := []
	for i in list.item_count:
		names.append(list.get_item_text(i))
	return names


func _enabled_actions() -> Array:
	var names := []
	for panel: Control in panels.slice(0, 3):
		var action: Button = panel.get_node("Panel/VBoxContainer/Game/HBoxContainer/VBoxContainer/Action")
		if not action.disabled:
			names.append(_name(panel))
	return names


func _log_lines(panel: Control) -> Array:
	var label: RichTextLabel = panel.get_node("Panel/VBoxContainer/Game/HBoxContainer/RichTextLabel")
	return Array(label.get_parsed_text().split("\n", false))


func _name(panel: Control) -> String:
	return _edit(panel, "HBoxContainer/NameEdit").text
