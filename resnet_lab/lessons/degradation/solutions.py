"""The reference solutions of notebook 01's exercises, shown by ``degradation.solution(number)``."""
from resnet_lab.solutions import Solution, SolutionBook

SOLUTIONS = SolutionBook("01", [
    Solution("01.1", "check_is_degradation", '''\
def is_degradation(shallow, deep, margin):
    return deep.final("train_error") > shallow.final("train_error") + margin

degradation.check_is_degradation(is_degradation)''',
             "degradation is about the training error alone: the deeper net fits its own training data worse, by "
             "more than the margin. The test error plays no part (a deeper net that fits better but tests worse is "
             "overfitting)."),
    Solution("01.2", "check_depth_prediction", '''\
my_prediction = ["plain20", "plain32", "plain44", "plain56"]   # lowest final training error first
RUN = True
histories_by_depth = None
if RUN:
    histories.update(rl.train_or_load_many(degradation.DEPTH_EXERCISE_NETS, data, scale, seeds=0, device=session.device))
    histories_by_depth = {n: histories[n] for n in ["plain20", "plain32", "plain44", "plain56"]}
degradation.check_depth_prediction(my_prediction, histories_by_depth)''',
             "He et al.'s Figure 1 and Figure 6 (left) show the plain nets' training error rising with depth; "
             "the checker compares with what this run measured, and counts nets closer than 2 points as a tie."),
    Solution("01.3", "check_seed_gaps", '''\
gaps = [runs["plain56"].final("train_error") - runs["plain20"].final("train_error") for runs in seeds.values()]

degradation.check_seed_gaps(gaps, seeds)''',
             "one subtraction per committed seed, of the final training errors; every gap is positive, so the sign "
             "does not depend on the seed, while its size moves by several points."),
])
