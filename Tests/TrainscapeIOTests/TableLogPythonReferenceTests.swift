import Foundation
import Testing
import TrainscapeCore
import TrainscapeTestSupport

@testable import TrainscapeIO

/// Checks the table-log reader against an independent Python parser of the same rules
/// (regular expressions, written from the documentation of `TableLogChunkDecoder`, not from
/// its code). Python writes random logs in every prefix style (loguru, `| LEVEL |`,
/// `LEVEL:logger:`, print, ANSI-coloured loguru) with decorated headers, later headers that
/// reorder columns and add new ones, fractions, missing marks, signed and exponent floats,
/// prose between rows (some of it shaped like a header), rows that fit no header, and argv
/// and preset lines; it checks that its parser gives back what it wrote, then prints what
/// it parsed. Every step, key and value (bit for bit, as `float.hex`) and every config value
/// read by `RunLoader` must match.
@Suite(.tiered) struct TableLogPythonReferenceTests {
  static let script = #"""
    import json, math, random, re, sys

    out_dir, seed, nfiles = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    rng = random.Random(seed)

    # ---------------------------------------------------------------- reference parser
    LEVELS = "TRACE|DEBUG|INFO|SUCCESS|NOTICE|WARNING|WARN|ERROR|CRITICAL|FATAL"
    BAR = re.compile(r"\|[ \t]*(?:%s)[ \t]*\|" % LEVELS)
    BASIC = re.compile(r"^(?:%s):" % LEVELS)
    ANSI = re.compile(r"\x1b\[[0-9;?]*[@-~]")
    NUM = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")
    INF = re.compile(r"^[+-]?inf(?:inity)?$", re.I)
    FRAC = re.compile(r"^([+-]?\d+)/(\d+)$")
    MISSING = {"T", "F", "True", "False", "-", "None", "null", "\u2014"}
    STEPS = ["step", "global_step", "_step", "globalstep", "steps", "it", "iter", "iters", "iteration"]
    LABELS = {"argv", "args", "arguments", "cmd", "command", "cmdline", "preset", "presets", "config",
              "cfg", "hparams", "hyperparameters", "params", "overrides", "settings"}

    def message(line):
        line = ANSI.sub("", line)
        m = BAR.search(line)
        if m:
            rest = line[m.end():]
            loc = re.match(r"^ *([^ ]+) - ", rest)
            if loc:
                parts = loc.group(1).split(":")
                if len(parts) >= 3 and parts[-1].isdigit() and parts[-1].isascii():
                    return rest[loc.end():]
            return rest
        if BASIC.match(line):
            rest = line[line.index(":") + 1:]
            m2 = re.match(r"^[^: ]*:", rest)
            return rest[m2.end():] if m2 else rest
        return line

    def tokens(msg):
        return [t for t in re.split(r"[ \t|\r]+", msg) if t]

    def cell(t):
        if t in MISSING or t.lower() in ("nan", "+nan", "-nan", "n/a"):
            return ("missing",)
        if NUM.match(t) or INF.match(t):
            return ("value", float(t))
        m = FRAC.match(t)
        if m:
            d = int(m.group(2))
            return ("missing",) if d == 0 else ("value", int(m.group(1)) / d)
        return ("invalid",)

    def step_of(t):
        m = FRAC.match(t)
        if m:
            v = float(int(m.group(1)))
        elif NUM.match(t) or INF.match(t):
            v = float(t)
        else:
            return None
        if math.isfinite(v) and v == round(v) and abs(v) < 9.2e18:
            return int(v)
        return None

    def name_of(t):
        word = lambda c: c.isalnum() or c == "_"
        i, j = 0, len(t)
        while i < j and not word(t[i]): i += 1
        while j > i and not word(t[j - 1]): j -= 1
        n = t[i:j]
        if not n or not (n[0].isalpha() or n[0] == "_"): return None
        if "=" in n or "," in n or n in MISSING or n.lower() == "nan": return None
        return n

    def header_of(toks, lineno):
        if len(toks) < 2: return None
        names = []
        for t in toks:
            n = name_of(t)
            if n is None: return None
            names.append(None if n in names else n)
        lower = [n.lower() if n else None for n in names]
        for s in STEPS + ["epoch"]:
            if s in lower:
                return {"names": names, "step": lower.index(s), "line": lineno}
        return None

    def value_of(raw):
        if len(raw) >= 2 and raw[0] in "'\"" and raw[-1] == raw[0]:
            return ["string", raw[1:-1]]
        if raw.lower() in ("true", "false"):
            return ["bool", raw.lower() == "true"]
        if NUM.match(raw) and math.isfinite(float(raw)):
            return ["number", float(raw)]
        return ["string", raw]

    def clean(t):
        if t.startswith("Namespace("): t = t[len("Namespace("):]
        t = t.lstrip("[(")
        t = t.rstrip(",)]")
        if len(t) >= 2 and t[0] in "'\"" and t[-1] == t[0]: t = t[1:-1]
        return t

    def key_of(raw):
        flag = False
        k = raw
        while k and k[0] in "-+~":
            flag = flag or k[0] == "-"
            k = k[1:]
        if not k or not (k[0].isalpha() or k[0] == "_"): return None
        if not all(c.isalnum() or c in "_.-/" for c in k): return None
        return k.replace("-", "_") if flag else k

    def config_of(msg, before_rows):
        toks = re.findall(r"""(?:[^ \t\r|'"]+|'[^']*'?|"[^"]*"?)+""", msg)
        if not toks: return None
        ct = [clean(t) for t in toks]
        label = toks[0].lower().strip(":=")
        argv = label in LABELS or any(t.endswith(".py") for t in ct) or toks[0].startswith("Namespace(")
        out, kv, i = [], 0, 0
        while i < len(ct):
            t = ct[i]; i += 1
            if "=" in t:
                k = key_of(t[:t.index("=")])
                if k is None: continue
                out.append((k, value_of(t[t.index("=") + 1:]))); kv += 1
            elif argv and t.startswith("--") and key_of(t) is not None:
                if i < len(ct) and not ct[i].startswith("--") and "=" not in ct[i]:
                    out.append((key_of(t), value_of(ct[i]))); i += 1
                else:
                    out.append((key_of(t), ["bool", True]))
        if not out: return None
        if argv or (before_rows and kv * 2 >= len(ct)): return out
        return None

    def parse(path):
        rows, config = [], {}
        header = pending = None
        with open(path, encoding="utf-8") as f:
            text = f.read()
        lines = text.split("\n")
        if lines and lines[-1] == "": lines.pop()
        for lineno, line in enumerate(lines, 1):
            toks = tokens(message(line))
            if not toks: continue
            h = header_of(toks, lineno)
            if h:
                pending = h
                continue
            cells = [cell(t) for t in toks]
            good = sum(c[0] != "invalid" for c in cells)
            matched = None
            if good * 2 > len(toks):
                for cand in (pending, header):
                    if cand is None or len(cand["names"]) != len(toks): continue
                    if step_of(toks[cand["step"]]) is None:
                        if all(c[0] != "invalid" for c in cells) or cells[cand["step"]][0] != "invalid":
                            matched = "skip"; break
                        continue
                    if cand is pending:
                        header, pending = pending, None
                    matched = cand
                    break
            if matched == "skip": continue
            if matched:
                values = {}
                for i, c in enumerate(cells):
                    n = matched["names"][i]
                    if i == matched["step"] or n is None or c[0] != "value": continue
                    values[n] = c[1]
                rows.append((step_of(toks[matched["step"]]), values))
                continue
            if len(toks) >= 2 and all(c[0] != "invalid" for c in cells):
                continue
            cfg = config_of(message(line), len(rows) == 0)
            if cfg:
                for k, v in cfg: config[k] = v
        return rows, config

    # ---------------------------------------------------------------- random logs
    NAMES = ["loss", "hack_s", "gt_s", "cos_pre_t", "cos_pre_s", "acc", "kl", "reward", "train/loss",
             "eval.acc", "lr", "grad_norm", "entropy", "_aux", "x2"]
    DECOR = [("", ""), ("", "\u2193"), ("", "\u2191"), ("", "?"), ("", "*"), ("", "(%)"), ("[", "]"), ("", ":")]

    def prefix(style, i, msg, level="INFO"):
        if style == "loguru":
            return "2025-03-02 14:%02d:%02d.%03d | %-8s | __main__:train:%d - %s" % (i // 60 % 60, i % 60, i % 1000, level, i % 400 + 1, msg)
        if style == "loguru_ansi":
            return "\x1b[32m2025-03-02 14:21:07.512\x1b[0m | \x1b[1m%-8s\x1b[0m | \x1b[36m__main__\x1b[0m:\x1b[36mtrain\x1b[0m:\x1b[36m%d\x1b[0m - \x1b[1m%s\x1b[0m" % (level, i, msg)
        if style == "bar":
            return "2025-03-02 14:21:07,512 | %s | %s" % (level, msg)
        if style == "basic":
            return "%s:__main__:%s" % (level, msg)
        return msg

    def fmt_value(v):
        r = rng.random()
        if r < 0.08: return rng.choice(["T", "F", "-", "nan", "NaN", "None", "True", "null", "n/a"])
        if r < 0.18:
            d = rng.randint(0, 40)
            return "%d/%d" % (rng.randint(-3 if rng.random() < 0.1 else 0, 40), d)
        if r < 0.21: return rng.choice(["inf", "-inf", "+inf", "Infinity"])
        if r < 0.40: return "%.3e" % v
        if r < 0.55: return "%+.5f" % v
        if r < 0.65: return repr(v)
        if r < 0.70: return "%g" % v
        return "%.4f" % v

    def header_line(cols):
        out = []
        for c in cols:
            a, b = rng.choice(DECOR)
            out.append(a + c + b)
        sep = rng.choice(["  ", " ", "\t", " | "])
        return sep.join(out)

    def write(path):
        style = rng.choice(["loguru", "loguru", "bar", "basic", "print", "loguru_ansi"])
        stepname = rng.choice(["step", "step", "it", "iter", "global_step", "Step", "epoch"])
        lines, i = [], 0
        def emit(msg, level="INFO"):
            nonlocal i
            lines.append(prefix(style, i, msg, level)); i += 1
        emit(rng.choice([
            "argv: train.py arm=%s seed=%d --lr=%s --batch-size %d --flag" % (rng.choice(["vanilla", "static_erasure"]), rng.randint(0, 9), rng.choice(["1e-5", "3e-4", "0.001"]), rng.randint(1, 64)),
            "python train.py arm=vanilla seed=%d intervention=none" % rng.randint(0, 9),
            "Namespace(arm='vanilla', seed=%d, lr=0.0003, use_amp=True)" % rng.randint(0, 9),
            "args: ['train.py', '--arm=static', 'seed=%d', '--tag', 'run a']" % rng.randint(0, 9),
        ]))
        emit("preset: small kl_coef=0.02 rollouts=28 name=\"my run\"")
        emit("lr=0.001 warmup=100 schedule=cosine")
        emit("Loading model (this takes a while)")
        cols = rng.sample(NAMES, rng.randint(1, 6))
        step = 0
        for block in range(rng.randint(1, 4)):
            allc = cols[:]
            allc.insert(rng.randint(0, len(allc)), stepname)
            if rng.random() < 0.3:
                emit("Resuming from the last step")   # prose shaped like a header
            emit(header_line(allc))
            for r in range(rng.randint(0, 25)):
                cells = []
                for c in allc:
                    if c == stepname:
                        cells.append(rng.choice(["%d", "%d", "%d", "%d.0", "%d/1000"]) % step)
                    else:
                        cells.append(fmt_value(rng.gauss(0, 10 ** rng.randint(-4, 3))))
                if rng.random() < 0.05: cells.pop()          # fits no header
                if rng.random() < 0.03: cells[-1] = "12.5%"  # a cell that is nothing
                emit(" ".join(cells))
                if rng.random() < 0.1: emit("saved checkpoint at step %d to ckpt/x.pt" % step)
                if rng.random() < 0.05: emit("loss is %0.3f and hack_s 0.2" % rng.random(), "WARNING")
                step += rng.choice([1, 10, 10, 50])
            # the next block: columns reordered, some added
            cols = rng.sample(cols, len(cols)) + rng.sample([n for n in NAMES if n not in cols], rng.randint(0, 2))
        if rng.random() < 0.5: emit("Training done", "SUCCESS")
        with open(path, "w", encoding="utf-8", newline="\n") as f:
            f.write("\n".join(lines) + "\n")

    results = {}
    for k in range(nfiles):
        path = "%s/run_%02d.log" % (out_dir, k)
        write(path)
        rows, config = parse(path)
        results[path] = {
            "rows": [[s, {n: float.hex(v) for n, v in vals.items()}] for s, vals in rows],
            "config": config,
        }
    print(json.dumps(results))
    """#

  @Test(.tags(.python), arguments: [1, 2, 3])
  func matchesThePythonReference(seed: Int) throws {
    let dir = try TestPaths.temporaryDirectory("tablelog-ref")
    defer { try? FileManager.default.removeItem(at: dir) }
    let out = try Python.run(Self.script, args: [dir.path, String(seed), "12"])
    let expected = try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: [String: Any]])
    #expect(expected.count == 12)
    var totalRows = 0
    for (path, want) in expected.sorted(by: { $0.key < $1.key }) {
      let wantRows = try #require(want["rows"] as? [[Any]])
      let wantConfig = try #require(want["config"] as? [String: [Any]])
      if wantRows.isEmpty {
        // No table at all: said plainly, never an empty run.
        #expect(throws: IngestError.self) { try RunLoader.load(path: path) }
        continue
      }
      let result = try RunLoader.load(path: path)
      #expect(result.formats == [.tableLog], "\(path)")
      let run = try #require(result.runs.first)
      #expect(run.rows.count == wantRows.count, "\(path): \(run.rows.count) rows, Python \(wantRows.count)")
      totalRows += run.rows.count
      for (row, w) in zip(run.rows, wantRows) {
        let step = try #require(w[0] as? Int)
        let values = try #require(w[1] as? [String: String])
        #expect(row.step == Int64(step), "\(path)")
        #expect(Set(row.values.keys) == Set(values.keys), "\(path) step \(step): keys \(row.values.keys.sorted()) vs \(values.keys.sorted())")
        for (k, hex) in values {
          let v = try #require(Double(hex), "\(hex)")
          let got = try #require(row.values[k])
          #expect(got.bitPattern == v.bitPattern, "\(path) step \(step) \(k): \(got) vs Python \(v) (\(hex))")
        }
      }
      #expect(Set(run.config.keys) == Set(wantConfig.keys), "\(path): config \(run.config.keys.sorted()) vs \(wantConfig.keys.sorted())")
      for (k, w) in wantConfig {
        let kind = try #require(w[0] as? String)
        let got = try #require(run.config[k])
        switch kind {
        case "number": #expect(got == .number(try #require(w[1] as? Double)), "\(path) \(k)")
        case "bool": #expect(got == .bool(try #require(w[1] as? Bool)), "\(path) \(k)")
        default: #expect(got == .string(try #require(w[1] as? String)), "\(path) \(k)")
        }
      }
    }
    #expect(totalRows > 100, "the random logs should hold rows")
  }
}
