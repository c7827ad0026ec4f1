import ArgumentParser
import Foundation
import TrainscapeCore
import TrainscapeIO

/// Options every builder over metric series shares: a step range, EMA smoothing, and a cap
/// on the points drawn that keeps the extremes.
struct SeriesOptions: ParsableArguments {
  @Option(help: ArgumentHelp("Only steps in this inclusive range, START:END (either may be empty).", valueName: "START:END"))
  var steps: String?

  @Option(help: ArgumentHelp("Smooth every series with a causal exponential moving average of span N (a NaN holds the previous value).", valueName: "N"))
  var ema: Int?

  @Option(help: ArgumentHelp("Most steps drawn per run; longer runs are downsampled keeping each bucket's minimum and maximum (said on stderr).", valueName: "N"))
  var maxSteps: Int = 2000

  func validate() throws {
    if let s = steps, StepRange(argument: s) == nil {
      throw ValidationError("--steps expects START:END with integers, e.g. 1000:5000, 1000: or :5000; got '\(s)'")
    }
    if let e = ema, e < 1 { throw ValidationError("--ema must be at least 1") }
    if maxSteps < 4 { throw ValidationError("--max-steps must be at least 4") }
  }

  var stepRange: StepRange? { steps.flatMap(StepRange.init(argument:)) }

  /// Rows in the step range.
  func select(_ buffer: MetricsBuffer) -> MetricsBuffer {
    guard let r = stepRange else { return buffer }
    return buffer.selecting(r)
  }

  func smooth(_ values: [Double]) -> [Double] {
    guard let span = ema, span > 1 else { return values }
    return SeriesOps.ema(values, span: span)
  }

  /// Indices to keep so that at most maxSteps points remain (min/max per bucket).
  func downsample(_ values: [Double], what: String) -> [Int] {
    guard values.count > maxSteps else { return Array(values.indices) }
    let idx = SeriesOps.minMaxIndices(values, maxPoints: maxSteps)
    log.notice("\(what): \(values.count) steps downsampled to \(idx.count) keeping each bucket's min and max (--max-steps \(maxSteps))")
    return idx
  }
}

/// Reads one JSONL run with warnings logged, as a whole-run buffer.
func loadRun(_ path: String, last: Int? = nil) throws -> (buffer: MetricsBuffer, run: Run) {
  let result = try RunSources.read(path: path)
  for w in result.warnings { log.warning("\(w)") }
  var buffer = MetricsBuffer(capacity: last)
  buffer.append(contentsOf: result.run.rows)
  return (buffer, result.run)
}
