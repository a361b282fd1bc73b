"""What browser tests put on a dashboard, and how they tell a chart was drawn."""

WEEK = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
# A line chart, a bar chart with two series, and another two-series line chart.
INSIGHTS = [
    {
        "name": "Weekly signups",
        "description": "New accounts per day",
        "result": [{"label": "Signups", "labels": WEEK, "data": [12, 18, 15, 22, 30, 9, 7]}],
    },
    {
        "name": "Pageviews by browser",
        "query": {"kind": "InsightVizNode", "source": {"kind": "TrendsQuery", "display": "ActionsBar"}},
        "result": [
            {"label": "Chrome", "labels": WEEK, "data": [420, 480, 455, 500, 520, 300, 280]},
            {"label": "Firefox", "labels": WEEK, "data": [120, 130, 125, 140, 150, 90, 70]},
        ],
    },
    {
        "name": "Logins",
        "description": "Returning users",
        "result": [
            {"label": "Web", "labels": WEEK, "data": [40, 42, 39, 50, 61, 20, 18]},
            {"label": "Mobile", "labels": WEEK, "data": [25, 28, 30, 33, 35, 41, 44]},
        ],
    },
]

# Counts the painted pixels of every chart's canvases (uPlot draws series on one, axes on another).
PAINTED_PIXELS = """
return Array.from(document.querySelectorAll('.chart')).map(function (chart) {
  return Array.from(chart.querySelectorAll('canvas')).reduce(function (total, canvas) {
    var data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    for (var i = 3; i < data.length; i += 4) { if (data[i] > 0) { total += 1; } }
    return total;
  }, 0);
});
"""
