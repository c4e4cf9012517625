//! Rule anomalies inside one firewall chain or one policy tier (Al-Shaer and Hamed).
