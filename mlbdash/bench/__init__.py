"""``mlbdash bench``: mlbdash against "the common way" of polling, side by side on one replay.

``layout`` places the bundled demo slate in virtual time so every game is live in the measured
window; ``server`` runs the replay server in its own process; ``common_way`` is client A;
``processes`` starts and samples the processes; ``measure`` turns their logs and databases into
figures; ``run`` orchestrates a whole bench and ``report`` prints it.
"""
