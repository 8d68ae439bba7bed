// How the graph is drawn: a colour and shape per kind, busy nodes collapsed (a thick
// double border and their degree), pinned nodes outlined, paths and common links lit.
export const COLOURS = {
  Person: "#2563eb",
  Phone: "#0891b2",
  BankAccount: "#d97706",
  Vehicle: "#7c3aed",
  Case: "#dc2626",
  Warrant: "#be123c",
  Place: "#059669",
  Unit: "#475569",
  Operation: "#0f172a",
  Alert: "#ea580c",
  StopPayment: "#a16207",
  Record: "#94a3b8",
};

const SHAPES = {
  Person: "ellipse",
  Phone: "round-rectangle",
  BankAccount: "diamond",
  Vehicle: "round-triangle",
  Case: "rectangle",
  Warrant: "star",
  Place: "hexagon",
  Unit: "octagon",
};

export function stylesheet() {
  return [
    {
      selector: "node",
      style: {
        "background-color": (n) => COLOURS[n.data("kind")] || "#64748b",
        shape: (n) => SHAPES[n.data("kind")] || "ellipse",
        label: "data(caption)",
        "font-size": 10,
        "font-family": '"PingFang SC", "Microsoft YaHei", "WenQuanYi Micro Hei", sans-serif',
        color: "#0f172a",
        "text-valign": "bottom",
        "text-margin-y": 3,
        width: 22,
        height: 22,
        "min-zoomed-font-size": 7,
      },
    },
    {
      selector: "node[?collapsed]",
      style: { width: 34, height: 34, "border-width": 5, "border-style": "double", "border-color": "#0f172a" },
    },
    { selector: "node:selected", style: { "overlay-color": "#facc15", "overlay-opacity": 0.45, "overlay-padding": 6 } },
    { selector: "node.pinned", style: { "border-width": 3, "border-color": "#facc15" } },
    {
      selector: "edge",
      style: {
        width: 1.2,
        "line-color": "#94a3b8",
        "curve-style": "haystack",
        label: "",
        "font-size": 8,
        color: "#475569",
      },
    },
    { selector: "edge[type = 'TRANSFERRED']", style: { "line-color": "#d97706", "curve-style": "bezier", "target-arrow-shape": "triangle", "target-arrow-color": "#d97706" } },
    { selector: ".faded", style: { opacity: 0.15 } },
    { selector: "node.lit", style: { "border-width": 4, "border-color": "#f59e0b" } },
    { selector: "edge.lit", style: { width: 3, "line-color": "#f59e0b", "z-index": 10 } },
  ];
}
