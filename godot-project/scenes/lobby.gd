# The game node every peer has at the same path (<branch>/Lobby): players report
# ready, the host starts a round, players send scores, the host announces the winner.
extends Node

var log: Array = []
var ready_players: Array = []
var scores := {}


@rpc("any_peer", "reliable")
func player_ready(player_name: String) -> void:
	ready_players.append([multiplayer.get_remote_sender_id(), player_name])


@rpc("authority", "call_local", "reliable")
func start_round(round_number: int) -> void:
	log.append("round %d starts" % round_number)


@rpc("any_peer", "reliable")
func submit_score(score: int) -> void:
	scores[multiplayer.get_remote_sender_id()] = score


@rpc("authority", "call_local", "reliable")
func announce(text: String) -> void:
	log.append(text)
