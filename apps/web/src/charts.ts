import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

import type { SeriesData } from './chart-data.js';

/** Chart height in CSS pixels. */
const CHART_HEIGHT = 180;

/** A uPlot line chart bound to one series; `update` redraws it with the series' current points. */
export class LineChart {
  private readonly plot: uPlot;

  constructor(
    private readonly container: HTMLElement,
    private readonly data: SeriesData,
    options: { xLabel: string; yLabel: string; colour: string; points?: boolean },
  ) {
    const width = Math.max(240, container.clientWidth || 360);
    this.plot = new uPlot(
      {
        width,
        height: CHART_HEIGHT,
        legend: { show: false },
        scales: { x: { time: false } },
        axes: [{ label: options.xLabel }, { label: options.yLabel }],
        series: [{}, { stroke: options.colour, width: 2, points: { show: options.points ?? false } }],
      },
      [data[0], data[1]],
      container,
    );
    this.update();
  }

  /** Redraws the chart and records the number of points in `data-points`, which tests read. */
  update(): void {
    this.plot.setData([this.data[0], this.data[1]]);
    this.container.dataset.points = String(this.data[0].length);
  }

  resize(): void {
    this.plot.setSize({ width: Math.max(240, this.container.clientWidth), height: CHART_HEIGHT });
  }
}
