// The Plotly bundle ships no types; this is the part of its API the curves use.
declare module "plotly.js-gl2d-dist-min" {
  const Plotly: import("./plotly").Plotly;
  export default Plotly;
}
