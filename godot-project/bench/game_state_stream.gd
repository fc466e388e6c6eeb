# A deterministic stream of game-like JSON state updates for bench/json_stream_bench.gd: a
# world of ENTITIES players, NPCs, projectiles and pickups moving around, and per tick one
# update with the entities that changed, serialised with JSON.stringify as a game would.
#
# Every update carries the tick and time, then entity deltas: id, position, velocity and
# heading always (rounded to 0.01 / 0.001, as games send them), and whichever of health,
# state, flags, ammo and score changed; an entity's full record (name, kind, team, max
# health) on its first appearance and after a respawn. Some updates carry events (hits,
# pickups, chat lines made of words from a small vocabulary, with player names).
# Update sizes are drawn log-uniformly between MIN_BYTES and MAX_BYTES (UTF-8 bytes): each
# update adds the next entities (round robin, with what changed since each was last sent)
# until it reaches its drawn size, without passing MAX_BYTES. Median about
# 0.9 KiB, mean about 1.3 KiB. Seeded RNG: the same seed gives the same bytes.
extends RefCounted

const MIN_BYTES := 200
const MAX_BYTES := 4096
const ENTITIES := 64
const KINDS := ["player", "npc", "npc", "projectile", "pickup"]
const STATES := ["idle", "walk", "run", "jump", "attack", "hurt", "crouch"]
const NAMES := ["Rook", "Vesper", "Kestrel", "Zoë", "Ash", "Marlow", "Juniper", "Łukasz", "Ines",
	"Tamsin", "Orrin", "Saoirse", "Bjørn", "Kai", "Nadia", "Quill"]
const WORDS := ["go", "left", "right", "push", "mid", "wait", "heal", "me", "nice", "shot", "gg",
	"behind", "you", "flag", "taken", "need", "ammo", "on", "my", "way", "lol", "rush", "B", "cover"]

var rng := RandomNumberGenerator.new()
var tick := 0
var world: Array[Dictionary] = []
var next_entity := 0
var sent_full := {}
## Fields changed since an entity was last sent, per entity.
var dirty: Array[Dictionary] = []


func _init(seed_value: int) -> void:
	rng.seed = seed_value
	for i in ENTITIES:
		world.append(_spawn(1000 + i))
		dirty.append({})


## `count` updates, each a JSON text of MIN_BYTES..MAX_BYTES UTF-8 bytes.
func updates(count: int) -> PackedStringArray:
	var out := PackedStringArray()
	for i in count:
		out.append(_next_update())
	return out


func _spawn(id: int) -> Dictionary:
	var kind: String = KINDS[rng.randi() % KINDS.size()]
	var max_hp := 100 if kind == "player" else 40 + 20 * (rng.randi() % 4)
	return {
		"id": id, "kind": kind, "name": "%s_%d" % [NAMES[rng.randi() % NAMES.size()], rng.randi() % 100],
		"team": rng.randi() % 2, "max_hp": max_hp, "hp": max_hp, "state": "idle",
		"pos": Vector3(rng.randf_range(-200, 200), rng.randf_range(0, 20), rng.randf_range(-200, 200)),
		"vel": Vector3.ZERO, "rot": rng.randf_range(-PI, PI),
		"grounded": true, "invulnerable": false, "ammo": 30, "score": 0,
	}


## Moves the world one tick; returns the fields of every entity that changed.
func _simulate() -> Array[Dictionary]:
	var changes: Array[Dictionary] = []
	for e in world:
		var changed := {}
		e.vel += Vector3(rng.randf_range(-1, 1), rng.randf_range(-0.5, 0.5), rng.randf_range(-1, 1))
		e.vel = e.vel.limit_length(12.0)
		e.pos += e.vel / 30.0
		e.pos.y = maxf(e.pos.y, 0.0)
		e.rot = wrapf(e.rot + rng.randf_range(-0.2, 0.2), -PI, PI)
		if rng.randf() < 0.08:
			e.state = STATES[rng.randi() % STATES.size()]
			changed.state = e.state
		if rng.randf() < 0.05:
			e.hp = maxi(0, e.hp - rng.randi_range(1, 35))
			changed.hp = e.hp
		if rng.randf() < 0.05:
			e.grounded = not e.grounded
			changed.grounded = e.grounded
		if e.kind == "player" and rng.randf() < 0.1:
			e.ammo = posmod(e.ammo - 1, 31)
			changed.ammo = e.ammo
		if e.hp == 0:  # respawn: a new full record follows
			world[world.find(e)] = _spawn(e.id)
			sent_full.erase(e.id)
		changes.append(changed)
	return changes


func _entity_delta(index: int, changed: Dictionary) -> Dictionary:
	var e: Dictionary = world[index]
	var d := {
		"id": e.id,
		"p": [snappedf(e.pos.x, 0.01), snappedf(e.pos.y, 0.01), snappedf(e.pos.z, 0.01)],
		"v": [snappedf(e.vel.x, 0.01), snappedf(e.vel.y, 0.01), snappedf(e.vel.z, 0.01)],
		"r": snappedf(e.rot, 0.001),
	}
	if not sent_full.has(e.id):
		sent_full[e.id] = true
		for k in ["name", "kind", "team", "max_hp", "hp", "state", "grounded", "invulnerable", "ammo", "score"]:
			d[k] = e[k]
	else:
		d.merge(changed)
	return d


func _events() -> Array:
	var events: Array = []
	while rng.randf() < 0.3:
		var a: Dictionary = world[rng.randi() % ENTITIES]
		var b: Dictionary = world[rng.randi() % ENTITIES]
		match rng.randi() % 3:
			0:
				events.append({"type": "hit", "src": a.id, "dst": b.id, "dmg": rng.randi_range(1, 35), "crit": rng.randf() < 0.1})
			1:
				a.score += 10
				events.append({"type": "pickup", "who": a.id, "item": "ammo" if rng.randf() < 0.5 else "medkit", "score": a.score})
			_:
				var words := PackedStringArray()
				for i in rng.randi_range(1, 8):
					words.append(WORDS[rng.randi() % WORDS.size()])
				events.append({"type": "chat", "from": a.name, "team": a.team, "text": " ".join(words)})
	return events


func _next_update() -> String:
	tick += 1
	var changes := _simulate()
	for i in ENTITIES:
		dirty[i].merge(changes[i], true)
	var target := roundi(exp(rng.randf_range(log(float(MIN_BYTES)), log(float(MAX_BYTES)))))
	var update := {"type": "state", "tick": tick, "time": snappedf(tick / 30.0, 0.001), "entities": [], "events": _events()}
	var size := _utf8_size(JSON.stringify(update))
	var entities: Array = update.entities
	for n in ENTITIES:
		if size >= target:
			break
		var delta := _entity_delta(next_entity, dirty[next_entity])
		var delta_size := _utf8_size(JSON.stringify(delta)) + (1 if n > 0 else 0)  # and a comma
		if size + delta_size > MAX_BYTES:
			if delta.has("name"):
				sent_full.erase(delta.id)  # not sent after all
			break
		entities.append(delta)
		dirty[next_entity] = {}
		size += delta_size
		next_entity = (next_entity + 1) % ENTITIES
	var text := JSON.stringify(update)
	assert(_utf8_size(text) == size)
	return text


static func _utf8_size(text: String) -> int:
	return text.to_utf8_buffer().size()
