import Foundation
import TrainscapeCore

/// Hugging Face `trainer_state.json` (Trainer, TRL): `log_history` entries
/// become rows at their `step`; train, eval and summary entries that share a
/// step are merged into one row, and rows are sorted by step. Every numeric
/// entry field except `step` is a metric (`loss`, `learning_rate`,
/// `grad_norm`, `epoch`, `eval_*`, TRL's `reward`, `rewards/*`, `kl`, ...);
/// strings and nulls are skipped. `Run.config` gets the run-level fields: `train_batch_size`, `num_train_epochs`, `max_steps`,
/// `logging_steps`, `eval_steps`, `save_steps`, `total_flos`,
/// `num_input_tokens_seen`, `best_metric`, `best_global_step`, `global_step`,
/// `epoch`, plus `trial_params` (a hyperparameter search's trial, e.g.
/// `learning_rate`; numbers, strings and booleans).
enum TrainerStateReader {
  static let configFields = [
    "train_batch_size", "num_train_epochs", "max_steps", "logging_steps", "eval_steps",
    "save_steps", "total_flos", "num_input_tokens_seen", "best_metric", "best_global_step",
    "global_step", "epoch",
  ]

  /// With `capacity`, only the last `capacity` steps are kept as rows (the
  /// JSON document itself is still parsed whole: these files are small).
  static func read(path: String, skipBad: Bool, capacity: Int? = nil, budget: MemoryBudget = .default) throws
    -> IngestSink
  {
    let fd = try FileAccess.open(path)
    close(fd)
    let bytes: [UInt8]
    do {
      bytes = try RawFile.readAll(path, budget: budget, factor: JSONParser.bytesPerByte, what: "the JSON document")
    } catch let e as ArrayFileError {
      throw IngestError(file: path, message: e.message)
    }
    return try parse(bytes, file: path, skipBad: skipBad, capacity: capacity)
  }

  static func parse(_ bytes: [UInt8], file: String, skipBad: Bool, capacity: Int? = nil) throws -> IngestSink {
    var sink = IngestSink(skipBad: skipBad, capacity: capacity, order: .step)
    let doc: JSONValue
    do {
      doc = try JSONParser.parse(bytes, file: file)
    } catch let error as ImportError {
      // A document that stops before its closing brace is most likely still being written.
      let last = bytes.last { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }
      let hint = last == UInt8(ascii: "}") ? "" : " (file truncated or still being written?)"
      throw IngestError(file: file, message: "\(error.path): \(error.message)\(hint)")
    }
    guard case .object = doc, let history = doc["log_history"] else {
      throw IngestError(file: file, message: "expected a trainer_state.json object with a log_history list")
    }
    guard case .array(let entries) = history else {
      throw IngestError(file: file, message: "expected log_history to be a list of objects")
    }
    for name in configFields {
      if let v = doc[name]?.numeric { sink.config[name] = .number(v) }
    }
    if case .object(let params)? = doc["trial_params"] {
      for (k, v) in params.members {
        switch v {
        case .number(let d): sink.config[k] = .number(d)
        case .bool(let b): sink.config[k] = .bool(b)
        case .string(let s): sink.config[k] = .string(s)
        default: break
        }
      }
    }
    for (index, entry) in entries.enumerated() {
      guard case .object(let fields) = entry else {
        try sink.bad(IngestError(file: file, message: "log_history[\(index)]: expected an object"))
        continue
      }
      guard let s = entry["step"]?.numeric, s == s.rounded(), abs(s) < 9.2e18 else {
        try sink.bad(IngestError(file: file, message: "log_history[\(index)]: expected an integer \"step\""))
        continue
      }
      var values: [String: Double] = [:]
      for (k, v) in fields.members where k != "step" {
        if let d = v.numeric, let old = values.updateValue(d, forKey: k), Overwrites.differ(old, d) {
          sink.overwrites.add(.sameRecord, example: "log_history[\(index)], '\(k)'")
        }
      }
      if !values.isEmpty { sink.append(MetricRow(step: Int64(s), values: values)) }
    }
    if sink.window == nil { sink.rows = sink.rows.mergedByStep(overwrites: &sink.overwrites) }
    return sink
  }
}
