"""The monthly maintenance digest: periods, SQL statistics, criteria, suggestions, rendering and the chart."""
