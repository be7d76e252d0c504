//! A small SVG line chart (the loss curve). Geometry is plain functions,
//! tested here; the view only places the strings.

/// Chart geometry: `values` drawn into a `width` x `height` box with `pad`
/// pixels of margin; y from `y_min` (bottom) to `y_max` (top).
#[derive(Clone, Debug, PartialEq)]
pub struct LineChart {
    pub width: f32,
    pub height: f32,
    pub pad: f32,
    pub y_min: f32,
    pub y_max: f32,
    pub x_max: usize,
}

impl LineChart {
    /// Fit the y range to the data (from 0), x to `x_max` points.
    pub fn fit(values: &[f32], x_max: usize, width: f32, height: f32) -> Self {
        let top = values
            .iter()
            .copied()
            .filter(|v| v.is_finite())
            .fold(0.0f32, f32::max);
        Self {
            width,
            height,
            pad: 36.0,
            y_min: 0.0,
            y_max: if top > 0.0 { top * 1.05 } else { 1.0 },
            x_max: x_max.max(2),
        }
    }

    pub fn x(&self, i: usize) -> f32 {
        self.pad + (self.width - 2.0 * self.pad) * i as f32 / (self.x_max - 1) as f32
    }

    pub fn y(&self, v: f32) -> f32 {
        let t = ((v - self.y_min) / (self.y_max - self.y_min)).clamp(0.0, 1.0);
        self.height - self.pad - (self.height - 2.0 * self.pad) * t
    }

    /// `points` attribute of an SVG polyline; non-finite values are skipped.
    pub fn points(&self, values: &[f32]) -> String {
        values
            .iter()
            .enumerate()
            .filter(|(_, v)| v.is_finite())
            .map(|(i, &v)| format!("{:.1},{:.1}", self.x(i), self.y(v)))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// `points` attribute of an SVG polygon filling between `lo` and `hi`
    /// (an interval band): along `hi`, then back along `lo`. Indices where
    /// either is not finite are left out.
    pub fn band(&self, lo: &[f32], hi: &[f32]) -> String {
        let kept: Vec<usize> = (0..lo.len().min(hi.len()))
            .filter(|&i| lo[i].is_finite() && hi[i].is_finite())
            .collect();
        let at = |i: usize, v: f32| format!("{:.1},{:.1}", self.x(i), self.y(v));
        kept.iter()
            .map(|&i| at(i, hi[i]))
            .chain(kept.iter().rev().map(|&i| at(i, lo[i])))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Evenly spaced y-axis ticks: (value, pixel y).
    pub fn y_ticks(&self, n: usize) -> Vec<(f32, f32)> {
        (0..=n)
            .map(|k| self.y_min + (self.y_max - self.y_min) * k as f32 / n as f32)
            .map(|v| (v, self.y(v)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_corners_and_skips_nan() {
        let c = LineChart {
            width: 200.0,
            height: 100.0,
            pad: 10.0,
            y_min: 0.0,
            y_max: 2.0,
            x_max: 3,
        };
        assert_eq!(c.points(&[2.0, f32::NAN, 0.0]), "10.0,10.0 190.0,90.0");
        assert_eq!(c.y_ticks(2), vec![(0.0, 90.0), (1.0, 50.0), (2.0, 10.0)]);
        let fit = LineChart::fit(&[3.0, 1.0], 100, 200.0, 100.0);
        assert!(fit.y_max > 3.0 && fit.y(3.0) > fit.pad);
    }

    #[test]
    fn a_band_goes_out_along_hi_and_back_along_lo() {
        let c = LineChart {
            width: 100.0,
            height: 100.0,
            pad: 0.0,
            y_min: 0.0,
            y_max: 1.0,
            x_max: 3,
        };
        let band = c.band(&[0.0, f32::NAN, 0.5], &[1.0, 1.0, 1.0]);
        assert_eq!(band, "0.0,0.0 100.0,0.0 100.0,50.0 0.0,100.0");
    }
}
