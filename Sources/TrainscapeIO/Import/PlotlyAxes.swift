import Foundation
import TrainscapeCore

/// Category and date axes of a Plotly figure: values that are labels or dates become the
/// numbers plotly.js puts them at (category i at i, dates at milliseconds since 1970 UTC), and
/// the axis keeps what they stand for (`AxisLabels`) for its ticks and the hover readout.
extension PlotlyImporter {
  /// `traceNodes` with the x, y and z values of category and date axes turned into numbers,
  /// and each axis' labels (nil: plain numbers). An axis is a category axis when its
  /// `layout.scene.AXISaxis.type` says so, or when it has text values that are not all dates;
  /// a date axis when the type says so or every text value is a date.
  static func labelAxes(_ traceNodes: [JSONNode], scene: JSONNode?) -> (nodes: [JSONNode], labels: [AxisLabels?], notes: [String]) {
    var nodes = traceNodes
    var labels: [AxisLabels?] = [nil, nil, nil]
    var notes: [String] = []
    for (k, key) in ["x", "y", "z"].enumerated() {
      // World calendars (plotly.js's calendars component) are read as the Gregorian one.
      let calendars = Set(traceNodes.compactMap { $0["\(key)calendar"]?.string } + [scene?["\(key)axis"]?["calendar"]?.string].compactMap { $0 })
        .subtracting(["gregorian"])
      if !calendars.isEmpty {
        notes.append("\(key)calendar \(calendars.sorted().map { "'\($0)'" }.joined(separator: ", ")): dates are read in the Gregorian calendar")
      }
      let type = scene?["\(key)axis"]?["type"]?.string
      var leaves: [JSONValue] = []
      for t in traceNodes { if let v = t[key]?.value { collectLeaves(v, into: &leaves) } }
      let texts = leaves.compactMap { v -> String? in if case .string(let s) = v { return s } else { return nil } }
      guard type == "category" || type == "date" || !texts.isEmpty else { continue }
      // plotly.js's axis type guess (autotype): numbers and numeric strings ("4") count as
      // numbers; dates when date strings outnumber numbers two to one, categories when other
      // strings do, else a linear axis (gl3d_autorange-zero's z of "4", "2", ...).
      let numbers = leaves.count { v in
        if case .number = v { return true }
        if case .string(let s) = v { return numericText(s) != nil }
        return false
      }
      let dateTexts = texts.count { AxisLabels.parseDate($0) != nil }
      let otherTexts = texts.count { numericText($0) == nil }
      let guessed = type == nil || !["linear", "log", "date", "category"].contains(type!)
      let dates = type == "date" || (guessed && dateTexts > 2 * numbers)
      let categories = !dates && (type == "category" || (guessed && otherTexts > 2 * numbers))
      let map: (JSONValue) -> JSONValue
      if !dates && !categories {
        // Numbers: numeric strings are read as numbers, other text is not drawn.
        let bad = texts.filter { numericText($0) == nil }
        if let first = bad.first {
          notes.append("\(key): \(bad.count) value(s) on the \(type ?? "linear") axis are not numbers (e.g. '\(first.escapingControlCharacters)'): not drawn")
        }
        map = { v in
          if case .string(let s) = v { return numericText(s).map { .number($0) } ?? .null }
          return v
        }
      } else if dates {
        labels[k] = .dates
        let bad = texts.filter { AxisLabels.parseDate($0) == nil }
        if let first = bad.first {
          notes.append("\(key): \(bad.count) value(s) on the date axis are not dates (e.g. '\(first.escapingControlCharacters)'): not drawn")
        }
        map = { v in
          if case .string(let s) = v { return AxisLabels.parseDate(s).map { .number($0) } ?? .null }
          return v
        }
      } else {
        // Categories in the order they first appear; a number is the category of its text.
        var names: [String] = [], index: [String: Int] = [:]
        func text(_ v: JSONValue) -> String? {
          switch v {
          case .string(let s): return s
          case .number(let d): return ConfigValue.numberText(d)
          default: return nil
          }
        }
        for v in leaves { if let s = text(v), index[s] == nil { index[s] = names.count; names.append(s) } }
        labels[k] = .categories(names)
        map = { v in text(v).flatMap { index[$0] }.map { .number(Double($0)) } ?? .null }
      }
      for i in nodes.indices {
        guard case .object(var o) = nodes[i].value, let at = o.keys.firstIndex(of: key) else { continue }
        o.values[at] = mapLeaves(o.values[at], map)
        nodes[i] = JSONNode(value: .object(o), path: nodes[i].path, file: nodes[i].file)
      }
    }
    return (nodes, labels, notes)
  }

  /// A string plotly.js reads as a number ("4", " 1e3 "), as its `isNumeric` does.
  static func numericText(_ s: String) -> Double? {
    let t = s.trimmingCharacters(in: .whitespaces)
    guard !t.isEmpty, let d = Double(t), d.isFinite else { return nil }
    return d
  }

  static func collectLeaves(_ v: JSONValue, into out: inout [JSONValue]) {
    switch v {
    case .array(let a): for e in a { collectLeaves(e, into: &out) }
    case .object: break  // a typed array: numbers
    default: out.append(v)
    }
  }

  static func mapLeaves(_ v: JSONValue, _ f: (JSONValue) -> JSONValue) -> JSONValue {
    switch v {
    case .array(let a): return .array(a.map { mapLeaves($0, f) })
    case .object: return v
    default: return f(v)
    }
  }
}
