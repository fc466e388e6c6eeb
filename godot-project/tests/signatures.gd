# ClassDB method signatures as comparable lines, for the parity tests.
extends RefCounted


## One line per method of `cls` (argument names, types, classes, usage, defaults,
## flags, return), with each key of `renames` in the text replaced by its value.
static func of(cls: String, renames: Dictionary) -> Dictionary:
	var out := {}
	for m in ClassDB.class_get_method_list(cls, true):
		var args := []
		for a in m["args"]:
			args.append("%s:%d:%s:%d" % [a["name"], a["type"], a["class_name"], a["usage"]])
		var ret: Dictionary = m["return"]
		var line := "(%s) defaults=%s flags=%d -> %d:%s:%d" % [
			", ".join(args), var_to_str(m["default_args"]), m["flags"],
			ret["type"], ret["class_name"], ret["usage"]]
		for from in renames:
			line = line.replace(from, renames[from])
		out[m["name"]] = line
	return out
