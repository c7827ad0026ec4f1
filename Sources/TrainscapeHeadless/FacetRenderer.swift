import TrainscapeCore

extension HeadlessRenderer {
  /// Renders a faceted figure at `width` x `height`: the figure's title and colour bar (laid
  /// out by `FacetLayoutBuilder`), then each panel rendered at its rectangle's size and pasted
  /// there. The panels share one uploaded mesh at a time, so memory stays that of one panel.
  public func render(
    _ figure: FacetFigure, width: Int, height: Int, style: FigureStyle = FigureStyle(), transparent: Bool = false
  ) throws -> RGBAImage {
    let layout = FacetLayoutBuilder.layout(figure, width: width, height: height, style: style)
    var image = try render(layout: layout.frame, background: figure.background, transparent: transparent)
    for (scene, rect) in zip(figure.panels, layout.panelRects) {
      let own = FacetLayoutBuilder.panelStyle(style, figureWidth: width, figureHeight: height, panel: rect)
      let panel = try render(scene, width: Int(rect.width), height: Int(rect.height), style: own, transparent: transparent)
      image.paste(panel, x: Int(rect.x), y: Int(rect.y))
    }
    return image
  }
}
