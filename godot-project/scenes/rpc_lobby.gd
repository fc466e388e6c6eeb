# High-level multiplayer over RustWebSocketMultiplayerPeer: a host and two players
# in one process (each with its own SceneMultiplayer branch), a few RPC rounds,
# then the players leave. Prints what happened; quits with 0 only if all of it did.
extends Node

const Lobby := preload("res://scenes/lobby.gd")
const ROUNDS := 3

var branches := {}  # name -> {"api": SceneMultiplayer, "lobby": Lobby, "peer": ...}
var port := 0
var round_number := 0
var deadline := Time.get_ticks_msec() + 15000
var left := 0


func _ready() -> void:
	for name in ["Host", "Ana", "Bo"]:
		var branch := Node.new()
		branch.name = name
		var lobby := Lobby.new()
		lobby.name = "Lobby"
		branch.add_child(lobby)
		add_child(branch)
		var api := SceneMultiplayer.new()
		get_tree().set_multiplayer(api, branch.get_path())
		branches[name] = {"api": api, "lobby": lobby, "peer": RustWebSocketMultiplayerPeer.new()}
	var host: RustWebSocketMultiplayerPeer = branches["Host"]["peer"]
	for attempt in 20:
		port = 20000 + randi() % 40000
		if host.create_server(port, "127.0.0.1") == OK:
			break
	branches["Host"]["api"].multiplayer_peer = host
	branches["Host"]["api"].peer_disconnected.connect(func(_id): left += 1)
	for name in ["Ana", "Bo"]:
		var api: SceneMultiplayer = branches[name]["api"]
		api.connected_to_server.connect(func(): branches[name]["lobby"].player_ready.rpc_id(1, name))
		branches[name]["peer"].create_client("ws://127.0.0.1:%d" % port)
		api.multiplayer_peer = branches[name]["peer"]
	print("[rpc_lobby] host on port %d, 2 players joining" % port)


func _process(_delta: float) -> void:
	if Time.get_ticks_msec() > deadline:
		_finish(false, "timed out in round %d" % round_number)
		return
	var host: Lobby = branches["Host"]["lobby"]
	if round_number == 0 and host.ready_players.size() == 2:
		print("[rpc_lobby] ready: ", host.ready_players.map(func(p): return p[1]))
		_next_round()
	elif round_number > 0 and round_number <= ROUNDS and host.scores.size() == 2:
		var best: int = host.scores.keys().reduce(func(a, b): return a if host.scores[a] >= host.scores[b] else b)
		var winner: String = host.ready_players.filter(func(p): return p[0] == best)[0][1]
		host.announce.rpc("round %d won by %s" % [round_number, winner])
		host.scores.clear()
		if round_number == ROUNDS:
			round_number += 1
		else:
			_next_round()
	elif round_number == ROUNDS + 1 and _players_saw_everything():
		# The players leave once they heard the last result.
		round_number += 1
		for name in ["Ana", "Bo"]:
			branches[name]["peer"].close()
	elif round_number > ROUNDS + 1 and left == 2:
		for name in ["Ana", "Bo"]:
			print("[rpc_lobby] %s saw: %s" % [name, branches[name]["lobby"].log])
		_finish(true, "both players saw every start and result, then left")


func _players_saw_everything() -> bool:
	return ["Ana", "Bo"].all(func(name): return branches[name]["lobby"].log.size() == 2 * ROUNDS)


func _next_round() -> void:
	round_number += 1
	branches["Host"]["lobby"].start_round.rpc(round_number)
	for name in ["Ana", "Bo"]:
		var score: int = (round_number * 7 + name.length() * 3) % 10
		branches[name]["lobby"].submit_score.rpc_id(1, score)


func _finish(ok: bool, why: String) -> void:
	print("[rpc_lobby] %s: %s" % ["OK" if ok else "FAIL", why])
	for name in branches:
		branches[name]["api"].multiplayer_peer = null
		get_tree().set_multiplayer(null, get_node(name).get_path())
	set_process(false)
	get_tree().quit(0 if ok else 1)
