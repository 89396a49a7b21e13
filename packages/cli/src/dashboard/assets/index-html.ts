/**
 * The dashboard's page: a header, the view the scripts fill in, and the scripts themselves. No
 * inline script or style anywhere: the Content-Security-Policy allows only these files.
 */
export const INDEX_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>durable dashboard</title>
<link rel="stylesheet" href="/assets/styles.css">
<link rel="icon" href="data:,">
</head>
<body>
<header class="top">
  <a class="brand" href="#/">durable <span>runs</span></a>
  <span id="live" class="live" role="status">connecting…</span>
  <div id="access" class="access"></div>
</header>
<main id="view"></main>
<script src="/assets/dom.js"></script>
<script src="/assets/schedules.js"></script>
<script src="/assets/runs-list.js"></script>
<script src="/assets/run-actions.js"></script>
<script src="/assets/run-detail.js"></script>
<script src="/assets/app.js"></script>
</body>
</html>
`
