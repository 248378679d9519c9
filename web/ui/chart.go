package ui

import (
	"math"
	"strconv"

	"github.com/shopspring/decimal"
)

// barChart is the geometry of a small bar chart in SVG user units. Floats
// place pixels only; the figures themselves are in the table beside it.
type barChart struct {
	Width, Height          float64
	Left, Top, Right, Base float64 // the plot area: Base is the x axis
	Title, Desc            string
	Unpriced               bool // some day has unpriced calls
	XLabel, YLabel         string
	Bars                   []chartBar
	YTicks, XTicks         []chartTick
}

type chartBar struct {
	X, Y, W, H float64
	Label      string // for the tooltip: 2 Mar: $12.34
	Unpriced   bool   // the day has unpriced calls
}

type chartTick struct {
	Pos   float64
	Label string
}

// dayChart lays out cost by day for the days of one month.
func dayChart(days []SpendDayRow, month string) barChart {
	c := barChart{Width: 720, Height: 220, Left: 64, Top: 12, Right: 708, Base: 180,
		Title: "Cost by day, " + month, XLabel: "Day of " + month, YLabel: "Cost (USD)"}
	top := decimal.Zero
	var peak SpendDayRow
	for _, d := range days {
		if d.Cost.GreaterThan(top) {
			top, peak = d.Cost, d
		}
	}
	c.Desc = "No priced spend in " + month + "."
	if top.IsPositive() {
		c.Desc = "The highest day is " + peak.Label + " at " + FormatMoney(peak.Cost) +
			". The table below has every day's figures."
	}

	step := niceStep(top.InexactFloat64() / 4)
	scale := (c.Base - c.Top) / (step * 4)
	for i := range 5 {
		v := step * float64(i)
		c.YTicks = append(c.YTicks, chartTick{Pos: c.Base - v*scale, Label: tickMoney(v, step)})
	}

	slot := (c.Right - c.Left) / float64(max(1, len(days)))
	for i, d := range days {
		h := d.Cost.InexactFloat64() * scale
		x := c.Left + float64(i)*slot
		c.Bars = append(c.Bars, chartBar{X: x + slot*0.15, Y: c.Base - h, W: slot * 0.7, H: h,
			Label: d.Label + ": " + FormatMoney(d.Cost), Unpriced: d.Unpriced > 0})
		c.Unpriced = c.Unpriced || d.Unpriced > 0
		if d.Day == 1 || d.Day%5 == 0 {
			c.XTicks = append(c.XTicks, chartTick{Pos: x + slot/2, Label: strconv.Itoa(d.Day)})
		}
	}
	return c
}

// niceStep returns the smallest of 1, 2, 2.5 and 5 times a power of ten
// that is at least v, and 0.25 for nothing.
func niceStep(v float64) float64 {
	if v <= 0 {
		return 0.25
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*p >= v*(1-1e-9) {
			return m * p
		}
	}
	return 10 * p
}

// tickMoney labels an axis tick: whole dollars when the step allows.
func tickMoney(v, step float64) string {
	d := decimal.NewFromFloat(v)
	if step >= 1 && step == math.Trunc(step) {
		return "$" + group(d.Round(0).String())
	}
	return FormatMoney(d)
}

// svgNum writes a coordinate.
func svgNum(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }
