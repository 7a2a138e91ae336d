"""The decision engine, its API and its form: may party P do action A on dataset D for purpose U at time T?"""
