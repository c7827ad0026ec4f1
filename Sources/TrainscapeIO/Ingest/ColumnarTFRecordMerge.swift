import Foundation
import TrainscapeCore

extension ColumnarTFRecord {
  /// Merges chunks in file order into one table, carrying the plugin of each tag within a file.
  struct Merger {
    var table = MetricsTable()
    var histograms: [String: [HistogramSample]] = [:]
    var warnings: [String] = []
    var overwrites = Overwrites()
    private var plugins: [String: String] = [:]

    mutating func startFile() { plugins = [:] }

    /// What was read, as a reader's sink.
    var sink: IngestSink {
      var sink = IngestSink(skipBad: false)
      var t = table
      t.seal()
      sink.table = t
      sink.histograms = histograms
      sink.warnings = warnings
      sink.overwrites = overwrites
      return sink
    }

    /// Adds the next chunk; false when its rows go back in steps (the reference sorts them).
    mutating func add(_ chunk: Chunk) -> Bool {
      var chunk = chunk
      let names = chunk.keys.names
      // Waiting tensor values: scalars when the tag's plugin before this chunk is "scalars".
      var dropped = false
      for (k, w) in chunk.waiting {
        guard plugins[names[k]] == "scalars" else {
          dropped = true
          continue
        }
        if chunk.column[k] < 0 { chunk.column[k] = chunk.table.intern(names[k]) }
        for (row, v) in zip(w.rows, w.values) { chunk.table.set(v, column: chunk.column[k], row: row) }
        for row in w.rows { chunk.onlyWaiting.remove(row) }
      }
      var firstRemoved = false
      if dropped && !chunk.onlyWaiting.isEmpty {
        // Rows that only dropped values made are no rows.
        let empty = chunk.onlyWaiting
        firstRemoved = empty.contains(0)
        chunk.table = chunk.table.filteredMergingAdjacent { !empty.contains($0) }
      }
      for h in chunk.histograms where !h.waiting || plugins[names[h.key]] == "histograms" {
        histograms[names[h.key], default: []].append(h.sample)
      }
      defer { for (k, name) in chunk.plugins { plugins[names[k]] = name } }
      guard let firstStep = chunk.table.steps.first else { return true }
      var rest = chunk.table
      if let last = table.steps.last {
        if firstStep < last || (firstRemoved && firstStep == last) { return false }
        if firstStep == last {
          replayFirstRow(chunk, into: true)
          rest = chunk.table.slice(1..<chunk.table.rowCount)
        } else if !firstRemoved {
          replayFirstRow(chunk, into: false)
        }
      } else if !firstRemoved {
        replayFirstRow(chunk, into: false)
      }
      overwrites.add(chunk.overwrites)
      if table.isEmpty {
        table = rest
      } else {
        table.append(contentsOf: rest)
      }
      return true
    }

    /// Counts the overwrites of the chunk's first-row events, merged into the table's last row
    /// (`intoLast`, setting them) or among themselves.
    private mutating func replayFirstRow(_ chunk: Chunk, into intoLast: Bool) {
      let names = chunk.keys.names
      let step = chunk.table.steps[0]
      var fresh: [Int: Double] = [:]
      var start = 0
      for end in chunk.firstRowEventEnds {
        var changed = 0
        var first: String? = nil
        for e in chunk.firstRow[start..<end] where !e.waiting || plugins[names[e.key]] == "scalars" {
          let old: Double?
          if intoLast {
            let c = table.intern(names[e.key])
            old = table.value(column: c, row: table.rowCount - 1)
            table.set(e.value, column: c)
          } else {
            old = fresh.updateValue(e.value, forKey: e.key)
          }
          if let old, Overwrites.differ(old, e.value) {
            changed += 1
            if first == nil || names[e.key] < first! { first = names[e.key] }
          }
        }
        if changed > 0 { overwrites.add(.sameStep, changed, example: "step \(step), '\(first!)'") }
        start = end
      }
    }
  }
}
