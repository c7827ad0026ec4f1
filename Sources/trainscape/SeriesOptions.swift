import ArgumentParser
import Foundation
import TrainscapeCore
import TrainscapeIO

/// Options every builder over metric series shares: a step range, EMA smoothing, and a cap
/// on the points drawn that keeps the extremes.
struct SeriesOptions: ParsableArguments {
  @Option(help: ArgumentHelp("Only steps in this inclusive range, START:END (either may be empty).", valueName: "START:END"))
  var steps: String?

  @Option(parsing: .unconditional, help: ArgumentHelp("Smooth every series with a causal exponential moving average of span N (a NaN holds the previous value).", valueName: "N"))
  var ema: Int?

  @Option(parsing: .unconditional, help: ArgumentHelp("Most steps drawn per run; longer runs are downsampled keeping each bucket's minimum and maximum (said on stderr).", valueName: "N"))
  var maxSteps: Int = 2000

  @Option(parsing: .unconditional, help: ArgumentHelp("Keep only the last N steps of each run, as a bounded buffer does: read into a bounded buffer, so memory depends on N, not on the file (default: the whole run).", valueName: "N"))
  var last: Int?

  func validate() throws {
    if let s = steps, StepRange(argument: s) == nil {
      throw ValidationError("--steps expects START:END with integers, e.g. 1000:5000, 1000: or :5000; got '\(s)'")
    }
    if let e = ema, e < 1 { throw ValidationError("--ema must be at least 1") }
    if maxSteps < 4 { throw ValidationError("--max-steps must be at least 4") }
    if let n = last, n < 2 { throw ValidationError("--last must be at least 2") }
  }

  var stepRange: StepRange? { steps.flatMap(StepRange.init(argument:)) }

  /// The same choices for the core's recipes.
  var settings: SeriesSettings {
    SeriesSettings(stepRange: stepRange, emaSpan: ema, maxSteps: maxSteps, last: last)
  }
}

/// How metrics files are read (every format RunLoader knows).
struct InputFormatOptions: ParsableArguments {
  // `--input-format`, not `--format`: `export KIND` uses --format for what it writes.
  @Option(name: .customLong("input-format"), help: "Read the input as this format: \(RunFormat.allCases.map(\.rawValue).joined(separator: ", ")) (default: detect from the content and name).")
  var format: RunFormat?

  @Flag(help: "Skip corrupt records (counted and reported) instead of failing.")
  var skipBad = false
}

/// The runs in a file or directory (one for a file; several for a log directory or a
/// wandb/ folder), read once per process with warnings logged. With `last`, each run keeps
/// only its last `last` rows, dropped while reading (memory bounded by `last`, not the file).
func runsAt(_ path: String, input: InputFormatOptions, last: Int? = nil) throws -> [Run] {
  // A file the viewer follows: the rows read from it so far, never cached.
  if let followed = RunSources.followed[path] { return [followed] }
  let key = "\(path)|\(input.format?.rawValue ?? "")|\(input.skipBad)|\(last.map(String.init) ?? "")"
  if let cached = CommandCache.current?.runs.value[key] { return cached }
  let result = try RunLoader.load(
    path: path, options: IngestOptions(format: input.format, skipBad: input.skipBad, capacity: last))
  for w in result.warnings { log.warning("\(w)") }
  for w in result.runsWithoutRows { log.warning("skipped \(w)") }
  for n in result.notes { log.notice("\(n) (--last \(last ?? 0))") }
  if result.skipped > 0 { log.notice("\(path): skipped \(result.skipped) bad record(s) (--skip-bad)") }
  CommandCache.current?.runs.withLock { $0[key] = result.runs }
  return result.runs
}

/// Every run under `paths`, in order (each read with `--last` as a bounded read).
func loadRunsCached(_ paths: [String], input: InputFormatOptions, last: Int? = nil) throws -> [Run] {
  try paths.flatMap { try runsAt($0, input: input, last: last) }
}

/// A run as a buffer (bounded when `last` is given).
func bufferOf(_ run: Run, last: Int? = nil) -> MetricsBuffer {
  var buffer = MetricsBuffer(capacity: last)
  buffer.append(contentsOf: run.rows)
  return buffer
}

/// The one run at `path`.
func loadRun(_ path: String, last: Int? = nil, input: InputFormatOptions = InputFormatOptions())
  throws -> Run
{
  let runs = try runsAt(path, input: input, last: last)
  guard runs.count == 1, let run = runs.first else {
    throw CLIError(
      "\(path) holds \(runs.count) runs (\(runs.map(\.name).prefix(10).joined(separator: ", "))); name one run's file or directory")
  }
  return run
}
