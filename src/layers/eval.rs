//! Decides, for each required flow, what every enforcement layer does with it.
