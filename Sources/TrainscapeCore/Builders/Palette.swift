/// Distinct colours for overlaid runs (matplotlib's tab10, the default colour cycle users know).
public enum Palette {
  public static let tab10: [RGBColor] = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
    "#bcbd22", "#17becf",
  ].map { RGBColor(hex: $0)! }

  public static func color(_ i: Int) -> RGBColor { tab10[i % tab10.count] }
}

/// The axis spec of data values: their finite range on the chosen scale, with a fallback
/// when there is nothing to show.
func axis(_ title: String, _ values: [Double], scale: AxisScale, integer: Bool = false) throws
  -> AxisSpec
{
  guard let r = finiteRange(values, scale: scale) else {
    throw BuilderError("no finite values for '\(title)'\(scale == .log ? " on a log axis (values must be > 0)" : "")")
  }
  return AxisSpec(title: title, scale: scale, range: r, integer: integer)
}
