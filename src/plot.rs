pub struct PlotSpec {
    pub x: String,
    pub series: Option<String>,
    pub y: String,
    pub target: Option<f64>,
    pub title: Option<String>,
}
pub fn render(_csv: &str, _spec: &PlotSpec) -> Result<String, String> {
    Err("todo".into())
}
