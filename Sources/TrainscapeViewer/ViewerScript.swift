import Foundation

/// Timed input events for script / CI mode (`--script FILE`).
///
/// Format: one event per line, `SECONDS ACTION ARGS...`; `#` starts a comment, blank lines are
/// ignored. Times are seconds since the window opened (events may be given in any order; they
/// run sorted by time). Coordinates are window pixels, origin top-left, y down.
///
///     0.5 drag 640 360 700 360            # left drag (orbit) from (640,360) to (700,360) over 0.3 s
///     0.9 drag 640 360 600 400 right 0.5  # right drag (pan) over 0.5 s; also middle, shift (shift+left)
///     1.0 scroll 640 360 -2               # scroll wheel: positive zooms in towards (640,360)
///     1.5 key R                           # a key: R S E C L W H + - 1..9
///     2.0 hover 600 400                   # move the cursor there (shows the readout)
///     2.2 click 1100 80                   # left click (the legend toggles traces)
///     2.5 resize 1000 600                 # resize the window (window coordinates)
///     2.8 screenshot shot.png             # like S, to this path
public struct ScriptEvent: Sendable, Equatable {
  public enum Button: String, Sendable, Equatable { case left, right, middle }
  public enum Action: Sendable, Equatable {
    case press(Button, x: Double, y: Double, shift: Bool)
    case move(x: Double, y: Double)
    case release(Button, x: Double, y: Double)
    case scroll(x: Double, y: Double, dy: Double)
    case key(String)
    case resize(width: Int, height: Int)
    case screenshot(String)
  }
  public var time: Double
  public var action: Action
  public init(time: Double, action: Action) {
    self.time = time
    self.action = action
  }
}

public struct ScriptError: Error, CustomStringConvertible {
  public var description: String
}

public enum ViewerScript {
  public static let keys: Set<String> = Set(["R", "S", "E", "C", "L", "W", "H", "A", "+", "-"])
    .union((1...9).map(String.init))

  /// Parses a script; errors name the file and line.
  public static func parse(_ text: String, file: String = "script") throws -> [ScriptEvent] {
    var events: [ScriptEvent] = []
    for (n, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
      let line = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
      let f = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }).map(String.init)
      guard !f.isEmpty else { continue }
      func fail(_ why: String) -> ScriptError { ScriptError(description: "\(file):\(n + 1): \(why): '\(rawLine)'") }
      guard let t = Double(f[0]), t.isFinite, t >= 0 else { throw fail("expected a time in seconds first") }
      guard f.count >= 2 else { throw fail("missing action") }
      func num(_ i: Int) throws -> Double {
        guard i < f.count, let v = Double(f[i]), v.isFinite else { throw fail("argument \(i - 1) must be a number") }
        return v
      }
      switch f[1].lowercased() {
      case "drag":
        guard (6...8).contains(f.count) else { throw fail("drag X0 Y0 X1 Y1 [left|right|middle|shift] [SECONDS]") }
        let (x0, y0, x1, y1) = (try num(2), try num(3), try num(4), try num(5))
        var button = ScriptEvent.Button.left, shift = false, duration = 0.3
        for extra in f.dropFirst(6) {
          if let d = Double(extra), d >= 0 { duration = d; continue }
          switch extra.lowercased() {
          case "left": button = .left
          case "right": button = .right
          case "middle": button = .middle
          case "shift": shift = true
          default: throw fail("unknown drag button '\(extra)'")
          }
        }
        events.append(ScriptEvent(time: t, action: .press(button, x: x0, y: y0, shift: shift)))
        let steps = Swift.max(2, Int((duration * 30).rounded()))
        for k in 1...steps {
          let a = Double(k) / Double(steps)
          events.append(ScriptEvent(time: t + duration * a, action: .move(x: x0 + (x1 - x0) * a, y: y0 + (y1 - y0) * a)))
        }
        events.append(ScriptEvent(time: t + duration, action: .release(button, x: x1, y: y1)))
      case "scroll":
        guard f.count == 5 else { throw fail("scroll X Y STEPS") }
        events.append(ScriptEvent(time: t, action: .scroll(x: try num(2), y: try num(3), dy: try num(4))))
      case "key":
        guard f.count == 3 else { throw fail("key NAME") }
        let k = f[2].uppercased()
        guard keys.contains(k) else { throw fail("unknown key '\(f[2])' (known: \(keys.sorted().joined(separator: " ")))") }
        events.append(ScriptEvent(time: t, action: .key(k)))
      case "hover", "move":
        guard f.count == 4 else { throw fail("hover X Y") }
        events.append(ScriptEvent(time: t, action: .move(x: try num(2), y: try num(3))))
      case "click":
        guard f.count == 4 else { throw fail("click X Y") }
        let (x, y) = (try num(2), try num(3))
        events.append(ScriptEvent(time: t, action: .move(x: x, y: y)))
        events.append(ScriptEvent(time: t, action: .press(.left, x: x, y: y, shift: false)))
        events.append(ScriptEvent(time: t, action: .release(.left, x: x, y: y)))
      case "resize":
        guard f.count == 4, let w = Int(f[2]), let h = Int(f[3]), w >= 16, h >= 16 else {
          throw fail("resize WIDTH HEIGHT (at least 16)")
        }
        events.append(ScriptEvent(time: t, action: .resize(width: w, height: h)))
      case "screenshot":
        guard f.count == 3 else { throw fail("screenshot PATH") }
        events.append(ScriptEvent(time: t, action: .screenshot(f[2])))
      default:
        throw fail("unknown action '\(f[1])' (drag, scroll, key, hover, click, resize, screenshot)")
      }
    }
    // Stable sort: events at the same time keep their order.
    return events.enumerated().sorted { ($0.element.time, $0.offset) < ($1.element.time, $1.offset) }.map(\.element)
  }
}
