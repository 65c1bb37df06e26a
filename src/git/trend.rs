//! The gap trend: the portfolio's open gaps per framework at each commit of first-parent history.
