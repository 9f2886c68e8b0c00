import streamlit as st

st.title("Procedures")
